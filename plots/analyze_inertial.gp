# plots/analyze_inertial.gp -- the inertial diagnostic of `bin/sim analyze inertial` (spec
# spectral_gap.md §5): (A) spreads S_k(t) of the inertial cloud with S_k(t_0) e^{z_+ (t - t_0)}
# (modes beyond dim E_- in grey); (B) the damping sweep: z_+(gamma, mu) against gamma with the
# fitted rates and sqrt(|mu|) at gamma = 0. Variables: name, fmt, count, nm, anchor, has_sweep, mu,
# sphere.
w = has_sweep ? 1300 : 720; h = 560
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'inertial_diagnostic.' . fmt
set multiplot layout 1, (has_sweep ? 2 : 1) title sprintf("%s: inertial flow x'' + {/Symbol g} x' = -%s F (bin/sim analyze inertial)", name, sphere ? 'grad_{S}' : '{/Symbol \321}') font ',13'
set grid
set key box opaque top left font ',10'
nplot = nm
array zp[nplot]
array S0[nplot]
do for [k=1:nplot] {
  stats 'rates.tsv' every ::(k-1)::(k-1) u 3 nooutput
  zp[k] = STATS_max
  stats 'rates.tsv' every ::(k-1)::(k-1) u 10 nooutput
  S0[k] = STATS_max
}
stats 'spreads.tsv' u 1 nooutput
tmax = STATS_max
set title sprintf('(A) spreads S_k(t); dim E_{−} = %d growing directions expected', count)
set logscale y
set format y '10^{%L}'
set xrange [0:tmax]
set yrange [5e-4:5]
set xlabel 't'
set ylabel 'S_k(t)'
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#e8c000')
unset colorbox
ng = (count < nplot ? count : nplot)
plot for [k=1:ng] 'spreads.tsv' u 1:(column(k+1)) w l lw 2.5 lc palette frac (k-1.0)/(ng > 1 ? ng - 1 : 1) title sprintf('mode %d', k), \
     for [k=1:ng] (x >= anchor ? S0[k]*exp(zp[k]*(x - anchor)) : NaN) w l dt (8,6) lw 1.2 lc rgb '#000000' title (k == 1 ? sprintf('S_k(t_0) e^{z_+ (t - t_0)}, t_0 = %g', anchor) : ''), \
     for [k=(ng+1):nplot] 'spreads.tsv' u 1:(column(k+1)) w l lw 1.5 lc rgb '#bbbbbb' title (k == ng+1 ? (ng+1 == nplot ? sprintf('mode %d', nplot) : sprintf('modes %d-%d', ng+1, nplot)) : '')
unset logscale y
set format y '% h'
set autoscale y
if (has_sweep) {
  stats 'sweep.tsv' u 1 nooutput
  gmax = STATS_max
  set title sprintf('(B) damping sweep, {/Symbol m} = %.4f', mu)
  set xrange [-0.1:gmax*1.05]
  set yrange [0:*]
  set xlabel 'damping {/Symbol g}'
  set ylabel 'growth rate'
  set key top right
  set samples 400
  plot (x >= 0 ? (-x + sqrt(x*x + 4*abs(mu)))/2 : NaN) w l lw 2.5 lc rgb '#1f4e99' title 'z_+({/Symbol g}, {/Symbol m}) = (-{/Symbol g} + ({/Symbol g}^2 + 4|{/Symbol m}|)^{1/2})/2', \
       'sweep.tsv' u 1:4 w p pt 7 ps 1.5 lc rgb '#d62728' title 'fitted rate (window fit of ln S)', \
       '+' u (0):(sqrt(abs(mu))) every ::0::0 w p pt 3 ps 3.5 lw 2 lc rgb '#d4a000' title '|{/Symbol m}|^{1/2} ({/Symbol g} = 0)'
}
unset multiplot
