# plots/sweep_metric.gp -- one metric of every run along a sweep axis (points, slightly spread),
# with the mean +- sample standard deviation per point and the theory (bin/sim sweep; data from
# sim/sweep_plot.c). Runs in the sweep folder. Variables: fmt, out, title, xl, ml (metric name),
# logx, data (x mean sd), runs (x_jitter x value replica); optional theory: th_kstar (file: beta
# k* sigma*: spec §6.4, drawn with sqrt(2 beta)), nbin (n: 1/2 +- 1/(2 sqrt n), the binomial
# spread of f_plus), bs, bb, be (vertical lines), arrays sl/sh, hl/hh, ex (spec §4.4 intervals).
w = 760; h = 560
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output out . '.' . fmt
set title title
set xlabel xl offset 0, 0.4
set ylabel ml
if (logx) { set logscale x }
set tics out
set autoscale xfix
set key below horizontal maxcols 3 box samplen 2 spacing 1.2 height 0.6 font ',10'
set grid lc rgb '#dddddd'
set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
o = 1
if (exists("nsl") && nsl > 0) { do for [i=1:nsl] { set object o rect from sl[i], graph 0 to sh[i], graph 1 fc rgb '#fbd5d5' fs solid 1.0 noborder behind; o = o + 1 } }
if (exists("nhl") && nhl > 0) { do for [i=1:nhl] { set object o rect from hl[i], graph 0.965 to hh[i], graph 0.995 fc rgb '#6baed6' fs solid 1.0 noborder front; o = o + 1 } }
if (exists("nex") && nex > 0) { do for [i=1:nex] { set arrow from ex[i], graph 0 to ex[i], graph 1 nohead dt 2 lw 1.5 lc rgb 'black' front } }
if (exists("bs") && bs == bs) { set arrow from bs, graph 0 to bs, graph 1 nohead lw 2.5 lc rgb '#d62728' front; set label sprintf('{/Symbol b}_s = %.4g', bs) at bs, graph 0.9 offset 0.4, 0 left front }
if (exists("bb") && bb == bb) { set arrow from bb, graph 0 to bb, graph 1 nohead lw 2.5 dt 2 lc rgb '#2ca02c' front; set label sprintf('bistable above %.4g', bb) at bb, graph 0.8 offset 0.4, 0 left front }
if (exists("be") && be == be) { set arrow from be, graph 0 to be, graph 1 nohead lw 2.5 dt 2 lc rgb '#d62728' front }
cmd = "plot runs u 1:3 with points pt 6 ps 0.8 lc rgb '#7f7f7f' title 'runs'"
cmd = cmd . ", data u 1:2:3 with yerrorbars pt 7 ps 1.2 lw 2 lc rgb '#1f77b4' title 'mean {/Symbol \261} sd'"
if (exists("th_kstar")) {
  cmd = cmd . ", th_kstar u 1:2 with steps lw 2.5 lc rgb '#d62728' title 'k* = argmax_k k^2 I_k({/Symbol b}) (§6.4)'"
  cmd = cmd . ", th_kstar u 1:(sqrt(2*$1)) with lines lw 2 dt 2 lc rgb '#ff7f0e' title 'sqrt(2{/Symbol b})'"
}
if (exists("nbin") && nbin == nbin) {
  cmd = cmd . sprintf(", 0.5 with lines lw 2 lc rgb '#d62728' title '1/2', 0.5 + 0.5/sqrt(%g) with lines lw 1.5 dt 2 lc rgb '#d62728' title '{/Symbol \261} 1/(2 n^{1/2}) (binomial)', 0.5 - 0.5/sqrt(%g) with lines lw 1.5 dt 2 lc rgb '#d62728' notitle", nbin, nbin)
}
if (exists("be") && be == be) { cmd = cmd . ", NaN with lines lw 2.5 dt 2 lc rgb '#d62728' title sprintf('equiangular β = %.4g (d → ∞)', be)" }
eval(cmd)
