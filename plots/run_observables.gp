# plots/run_observables.gp -- energy and order parameters against time (observables.tsv; columns
# as in its '#' header). Variables from bin/sim: d, n, nm (mode columns), name, beta, norm,
# gradient (1 when E_beta is a Lyapunov function), monitor (the energy monitor's verdict, as in
# summary.tsv, with '_' escaped for enhanced text), fmt.
# Columns: 1 t, 2 log_energy, 3 energy_rel_inc, 4 mode, 5 f_plus, 6 sign_memory, 7 delta_pm,
# 8 mean_resultant, 9 nematic, 10 min_inner, 11 clusters, 12 norm_drift, 13 speed,
# 14.. align_k (nm), then magnet_k, polar_k.
w = 1100; h = 800
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'observables.' . fmt
set multiplot layout 2,2 title sprintf("%s: n = %d, d = %d, {/Symbol b} = %g, %s", name, n, d, beta, norm)
set key top left box opaque
set grid
set logscale x
set format x '10^{%L}'
set xlabel 't (log scale)'

if (!exists("monitor")) monitor = (gradient ? 'gradient_flow' : 'not_a_gradient_flow')
set title (gradient ? 'energy (gradient flow: nondecreasing)' : sprintf("energy: %s\ninformative only, no monotonicity asserted", monitor))
set ylabel 'log E_{/Symbol b}'
# log_energy is NaN when E_beta is undefined (an asymmetric logit form, or beta = 0): say so
# instead of failing on a column without a number.
stats 'observables.tsv' every ::1 u (valid(2) ? 1 : 0) nooutput
if (STATS_sum > 0) {
  plot 'observables.tsv' every ::1 u 1:2 w l lw 2 lc rgb '#1f77b4' title 'log E_{/Symbol b}'
} else {
  set label 9 "E_{/Symbol b} is not defined for this flow\n(asymmetric logit form or {/Symbol b} = 0)" at graph 0.5, 0.5 center
  set yrange [0:1]
  set key off
  plot 2 notitle
  unset label 9
  set autoscale y
  set key on
}

set title 'mode alignment A_k = (1/n) {/Symbol S}_i <x_i,u_k>^2'
set ylabel 'A_k'
set yrange [-0.02:1.02]
plot for [k=1:nm] 'observables.tsv' every ::1 u 1:(column(13+k)) w l lw 2 title sprintf('A_%d', k)
set autoscale y

set title 'clustering: min <x_i,x_j> and cluster count'
set ylabel 'min_{i{/Symbol \271}j} <x_i,x_j>'
set y2label 'clusters (log scale)'
set ytics nomirror; set y2tics; set logscale y2; set format y2 '%g'
set yrange [-1.05:1.05]
plot 'observables.tsv' every ::1 u 1:10 w l lw 2 lc rgb '#2ca02c' title 'min inner product', \
     '' every ::1 u 1:11 axes x1y2 w steps lw 2 lc rgb '#d62728' title 'clusters'
unset y2tics; unset y2label; unset logscale y2; set ytics mirror; set autoscale y

set title 'speed max_i |dx_i/dt| and distance to a pure mode'
set logscale y
set format y '10^{%L}'
set ylabel 'speed, {/Symbol d}_{pm}'
plot 'observables.tsv' every ::1 u 1:($13 > 0 ? $13 : NaN) w l lw 2 lc rgb '#9467bd' title 'speed', \
     '' every ::1 u 1:($7 > 0 ? $7 : NaN) w l lw 2 lc rgb '#ff7f0e' title '{/Symbol d}_{pm}'
unset multiplot
