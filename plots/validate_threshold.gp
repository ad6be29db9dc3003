# plots/validate_threshold.gp -- claim SD-10.6 (split threshold, BKKRW geometry; spec
# sphere_dynamics.md §4.4 item 2, §8 S6, §10 item 6): fraction of seeds ending in a split against
# a, for d = 2, V = diag(a, 1), beta = 1, n = 100, with the edges predicted by the stability
# criterion (tanh(1) and a tanh a = 1) and their +-0.04 bands.
# Working directory: OUTDIR/SD-10.6 (psplit.tsv: a, P(split), splits, seeds).
# Variables from bin/sim: fmt, lo, hi (the measured edges), seeds.
w = 1000; h = 560
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'psplit.' . fmt
if (!exists("seeds")) seeds = 20
e1 = tanh(1.0); e2 = 1.19968
set title sprintf("SD-10.6: P(split), d = 2, V = diag(a, 1), {/Symbol b} = 1, n = 100, %d seeds per a", seeds)
set grid
set key at 0.98, 0.45 center box opaque samplen 2
set xlabel 'a (V = diag(a, 1))'
set ylabel 'P(split)'
set xrange [0.45:1.45]
set yrange [-0.05:1.15]
set object 1 rect from e1-0.04, graph 0 to e1+0.04, graph 1 fc rgb '#dddddd' fs solid 0.5 noborder behind
set object 2 rect from e2-0.04, graph 0 to e2+0.04, graph 1 fc rgb '#dddddd' fs solid 0.5 noborder behind
set arrow 1 from e1, graph 0 to e1, graph 1 nohead lw 2 dt 2 lc rgb 'black'
set arrow 2 from e2, graph 0 to e2, graph 1 nohead lw 2 dt 2 lc rgb 'black'
set label 1 'tanh(1) = 0.7616' at e1+0.045, 1.08 left
set label 2 'a tanh(a) = 1: 1.1997' at e2-0.045, 1.08 right
if (exists("lo") && lo == lo) set arrow 3 from lo, graph 0 to lo, graph 1 nohead lw 2 dt 3 lc rgb '#d62728'
if (exists("hi") && hi == hi) set arrow 4 from hi, graph 0 to hi, graph 1 nohead lw 2 dt 3 lc rgb '#d62728'
plot 'psplit.tsv' u 1:2 w lp pt 7 ps 1.3 lw 2 lc rgb '#d62728' title 'P(split), simulation', \
     NaN w l lw 2 dt 2 lc rgb 'black' title 'predicted edges (§4.4.2), grey {/Symbol \261}0.04', \
     NaN w l lw 2 dt 3 lc rgb '#d62728' title 'measured edges'
