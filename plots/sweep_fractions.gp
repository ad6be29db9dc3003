# plots/sweep_fractions.gp -- fractions of the final classes along one sweep axis with binomial
# standard errors, over the intervals where spec §4.4 predicts stable splits / homogeneous clusters
# (bin/sim sweep; data from sim/sweep_plot.c). Runs in the sweep folder. Variables: fmt, out, title,
# xl, logx, data (x, then frac se per class), ncls, cls[] (class names); optional theory: arrays
# sl/sh (split-stable intervals), hl/hh (homogeneous-stable), ex (edges) with their counts nsl,
# nhl, nex; bs, bb, be (vertical lines at beta_s, the bistability threshold, the equiangular beta).
w = 760; h = 560
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output out . '.' . fmt
set title title
set xlabel xl offset 0, 0.4
set ylabel 'fraction of runs'
if (logx) { set logscale x }
set yrange [-0.03:1.1]
set offsets graph 0.03, graph 0.03, 0, 0
set ytics 0, 0.2, 1
set tics out
set autoscale xfix
set key below horizontal maxcols 3 box samplen 2 spacing 1.2 height 0.6 font ',10'
set grid ytics lc rgb '#dddddd'
colour(c) = c eq 'homogeneous' ? '#1f77b4' : c eq 'split' ? '#d62728' : c eq 'clustered' ? '#2ca02c' : c eq 'consensus' ? '#9467bd' : '#7f7f7f'
point(c) = c eq 'homogeneous' ? 7 : c eq 'split' ? 5 : c eq 'clustered' ? 9 : c eq 'consensus' ? 11 : 13
o = 1
if (exists("nsl") && nsl > 0) { do for [i=1:nsl] { set object o rect from sl[i], graph 0 to sh[i], graph 1 fc rgb '#fbd5d5' fs solid 1.0 noborder behind; o = o + 1 } }
if (exists("nhl") && nhl > 0) { do for [i=1:nhl] { set object o rect from hl[i], graph 0.965 to hh[i], graph 0.995 fc rgb '#6baed6' fs solid 1.0 noborder front; o = o + 1 } }
if (exists("nex") && nex > 0) { do for [i=1:nex] { set arrow from ex[i], graph 0 to ex[i], graph 1 nohead dt 2 lw 1.5 lc rgb 'black' front; set label sprintf('%.5g', ex[i]) at ex[i], graph 1.0 offset 0.3, -0.8 left front font ',10' } }
if (exists("bs") && bs == bs) { set arrow from bs, graph 0 to bs, graph 1 nohead lw 2.5 lc rgb '#d62728' front; set label sprintf('{/Symbol b}_s = %.4g', bs) at bs, graph 0.5 offset 0.4, 0 left front }
if (exists("bb") && bb == bb) { set arrow from bb, graph 0 to bb, graph 1 nohead lw 2.5 dt 2 lc rgb '#2ca02c' front; set label sprintf('bistable above %.4g', bb) at bb, graph 0.4 offset 0.4, 0 left front }
if (exists("be") && be == be) { set arrow from be, graph 0 to be, graph 1 nohead lw 2.5 dt 2 lc rgb '#d62728' front; set label sprintf('equiangular (d → ∞): %.4g', be) at be, graph 0.6 offset 0.4, 0 left front }
cmd = "plot"
do for [c=1:ncls] {
  cmd = cmd . sprintf("%s data u 1:%d:%d with yerrorbars pt %d ps 1.1 lw 1.5 lc rgb '%s' notitle, data u 1:%d with lines lw 2 lc rgb '%s' title '%s'", c > 1 ? "," : "", 2*c, 2*c+1, point(cls[c]), colour(cls[c]), 2*c, colour(cls[c]), cls[c])
}
if (exists("nsl") && nsl > 0) { cmd = cmd . ", NaN with boxes fs solid 1.0 fc rgb '#fbd5d5' title 'split stable §4.4'" }
if (exists("nhl") && nhl > 0) { cmd = cmd . ", NaN with boxes fs solid 1.0 fc rgb '#6baed6' title 'homog. stable §4.4 (strip)'" }
eval(cmd)
