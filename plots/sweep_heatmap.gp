# plots/sweep_heatmap.gp -- heat map of a class fraction or of a metric's mean over two sweep axes,
# with the theory drawn on top (bin/sim sweep; data written by sim/sweep_plot.c). Runs in the sweep
# folder. Variables: fmt, out, title, xl, yl, zl, data (columns x y xlo xhi ylo yhi z: one cell per
# point), xmin, xmax, ymin, ymax, logx, logy, frac (1: z is a fraction in [0, 1]); optional theory
# files th_beta_s, th_bistability, th_equiangular (curves) and th_criterion (edge points).
w = 760; h = 640
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output out . '.' . fmt
set title title
set xlabel xl offset 0, 0.4
set ylabel yl
set cblabel zl
if (logx) { set logscale x }
if (logy) { set logscale y }
set xrange [xmin:xmax]
set yrange [ymin:ymax]
if (frac) { set cbrange [0:1] }
set palette defined (0 '#f7fbff', 0.2 '#deebf7', 0.4 '#9ecae1', 0.6 '#4292c6', 0.8 '#08519c', 1 '#08306b')
set tics out
if (exists("nxt") && nxt > 0) { c = "set xtics ("; do for [i=1:nxt] { c = c . sprintf("%s'%g' %.17g", i > 1 ? ", " : "", xt[i], xt[i]) }; eval(c . ")") }
if (exists("nyt") && nyt > 0) { c = "set ytics ("; do for [i=1:nyt] { c = c . sprintf("%s'%g' %.17g", i > 1 ? ", " : "", yt[i], yt[i]) }; eval(c . ")") }
set key below horizontal box samplen 2.5 spacing 1.2 height 0.6
set border lw 1.2
# points without any finite z are left white
cmd = "plot data u 1:2:3:4:5:6:7 with boxxyerror fc palette fs solid 1.0 noborder notitle"
if (exists("th_beta_s")) {
  cmd = cmd . ", th_beta_s u 1:2 with lines lw 3 lc rgb '#d62728' title '{/Symbol b}_s = artanh({/Symbol l}_2/{/Symbol l}_1)/{/Symbol l}_1'"
}
if (exists("th_bistability")) {
  cmd = cmd . ", th_bistability u 1:2 with lines lw 3 dt 2 lc rgb '#2ca02c' title 'bistability: artanh({/Symbol l}_1/|{/Symbol l}_{min}|)/|{/Symbol l}_{min}|'"
}
if (exists("th_equiangular")) {
  cmd = cmd . ", th_equiangular u 1:2 with lines lw 3 dt 2 lc rgb '#d62728' title 'd → ∞: equiangular γ_β(T) = threshold (§6.2)'"
}
if (exists("th_criterion")) {
  cmd = cmd . ", th_criterion u 1:2 with points pt 6 ps 0.7 lw 1.5 lc rgb '#ff7f0e' title 'edge of the §4.4 criterion'"
}
eval(cmd)
