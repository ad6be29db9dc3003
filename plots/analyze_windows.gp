# plots/analyze_windows.gp -- the count-law windows of `bin/sim analyze gap` (spec spectral_gap.md
# §7a, general_test2.py): (A) dim E_- against N_eff for each confinement strength (E1), with the
# law N_eff - 1; (B) the fitted slope against beta Delta_logit at each key scale (E2), with 1.
# Variables from bin/sim: name, fmt, has_conf, has_temp, ngam.
npan = has_conf + has_temp
w = 640*npan + 160; h = 580
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'windows.' . fmt
set multiplot layout 1, npan title sprintf("%s: count law dim E_{−} = N_{eff} - 1 (geometry C)", name) font ',13'
set grid
set key box opaque
if (has_conf) {
  set title '(A) E1 confinement: dim E_{−} = #\{{/Symbol b} {/Symbol l}(Cov_p) > max({/Symbol g}, tol)\}'
  set xlabel 'N_{eff} = 1 / {/Symbol S}_a P_a^2'
  set ylabel 'dim E_{−} (jittered)'
  set autoscale y
  set palette defined (0 '#0d0887', 1 '#7e03a8', 2 '#cc4778', 3 '#f89540', 4 '#f0f921')
  set cblabel 'confinement {/Symbol g}'
  array gam[ngam]
  do for [i=1:ngam] { stats 'confinement.tsv' every ::(i-1)::(i-1) u 1 nooutput; gam[i] = STATS_max }
  set cbrange [0:gam[ngam]]
  set key top left
  plot for [i=1:ngam] 'confinement_points.tsv' u 1:(column(2+i) + 0.35*(rand(0) - 0.5) + 0.12*(i - (ngam+1)/2.0)):(gam[i]) w p pt 7 ps 0.35 lc palette notitle, \
       x - 1 w l dt 2 lw 2 lc rgb '#222222' title 'N_{eff} - 1'
  unset colorbox
}
if (has_temp) {
  stats 'temperature.tsv' u 1 nooutput
  smin = STATS_min; smax = STATS_max
  set title '(B) E2 temperature: fitted slope of dim E_{−} on N_{eff}'
  set logscale x
  set format x '10^{%L}'
  set xlabel '{/Symbol b} {/Symbol D}_{logit}'
  set ylabel 'slope'
  set yrange [-0.6:1.3]
  set key bottom left
  plot 'temperature.tsv' u ($1 == smin ? $4 : NaN):5 w lp lw 2 pt 7 lc rgb '#1f4e99' title sprintf('key scale %g', smin), \
       '' u ($1 == smax && smax != smin ? $4 : NaN):5 w lp lw 2 pt 5 lc rgb '#d62728' title sprintf('key scale %g', smax), \
       1 w l dt 2 lw 1.5 lc rgb '#222222' title 'slope 1', \
       '' u ($1 == smin ? $4 : NaN):9 w lp lw 1 pt 6 dt 3 lc rgb '#2ca02c' title 'fraction with a genuine gap (7c)'
}
unset multiplot
