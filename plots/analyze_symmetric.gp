# plots/analyze_symmetric.gp -- the symmetric-query control of `bin/sim analyze gap` (spec
# spectral_gap.md §7b): at the barycentre of k clusters, the absolute-tolerance count (solid)
# against the multiplicative-gap count (dashed) and k - 1, for each beta. Variables: name, fmt.
w = 1000; h = 580
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'symmetric.' . fmt
# statistics first: stats skips points outside explicit ranges
stats 'symmetric.tsv' u 2 nooutput
kmax = STATS_max
nk = kmax - 1
nb = STATS_records / nk
array bet[nb]
do for [i=1:nb] { stats 'symmetric.tsv' every ::(nk*(i-1))::(nk*(i-1)) u 1 nooutput; bet[i] = STATS_max }
set title sprintf("%s: symmetric queries (barycentres x_k): a count without a gap test is ill-posed", name)
set grid
set key outside right box
set logscale y
set xlabel 'k (clusters averaged in the query)'
set ylabel 'dim E_{−}'
set xrange [1.8:kmax + 0.2]
set yrange [0.8:80]
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#e8c000')
unset colorbox
plot for [i=1:nb] 'symmetric.tsv' u ($1 == bet[i] ? $2 : NaN):4 w lp lw 2 pt 7 lc palette frac (i-1.0)/(nb > 1 ? nb - 1 : 1) title sprintf('tol count, {/Symbol b} = %g', bet[i]), \
     for [i=1:nb] 'symmetric.tsv' u ($1 == bet[i] ? $2 + 0.04*(i - (nb+1)/2.0) : NaN):5 w lp lw 2 dt 2 pt 4 ps 1.3 lc palette frac (i-1.0)/(nb > 1 ? nb - 1 : 1) title sprintf('gap count, {/Symbol b} = %g', bet[i]), \
     x - 1 w l lw 3 lc rgb '#999999' dt 3 title 'k - 1 (Schur)'
