# plots/analyze_geodesic.gp -- the geodesic diagnostic of `bin/sim analyze geodesic` (spec
# spectral_gap.md §4 Fig. 2; §7d.3 on S^2): (A) K_JM over the plane (flat: geometry B, the centres
# in yellow) or over longitude/latitude (S^2), the contour K = 0 and the reference geodesic;
# (B) |eta(s)| of the bundle (points), the Jacobi solution |J(s)| and the WKB reference.
# Variables: name, fmt, s2, crange, E, has_bundle, and for flat nc, rad, ph (ring of centres).
w = 1350; h = 600
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'geodesic_diagnostic.' . fmt
# the contour K = 0 as a table of lines
set contour base
set cntrparam levels discrete 0
unset surface
set table 'curvature_zero.tsv'
splot 'curvature_map.tsv' u 1:2:3 w l
unset table
unset contour
set surface
set multiplot layout 1, 2 title sprintf("%s: Jacobi-Maupertuis geodesic deviation at E = %g%s", name, E, s2 ? ' on S^2' : ' (geometry B)') font ',13'
set title (s2 ? '(A) K_{JM} = 1/h + {/Symbol D}F/h^2 + 2|{/Symbol \321}F|^2/h^3 on S^2 (NaN: h <= h_{min})' : '(A) K_{JM} = {/Symbol D}F/h^2 + 2|{/Symbol \321}F|^2/h^3 (h > h_{min})')
set palette defined (-1 '#2166ac', -0.5 '#92c5de', 0 '#f7f7f7', 0.5 '#f4a582', 1 '#b2182b')
set cbrange [-crange:crange]
set cblabel 'K_{JM} (colour range: the depth of K < 0)'
set size ratio -1
if (s2) {
  set xlabel 'arc along the start direction (azimuthal equidistant about the start)'
  set ylabel 'arc across'
  set xrange [-pi:pi]; set yrange [-pi:pi]
} else {
  set xlabel 'x'; set ylabel 'y'
  set autoscale xfix; set autoscale yfix
}
set key box opaque bottom right font ',10'
if (s2) {
  plot 'curvature_map.tsv' u 1:2:3 w image notitle, \
       'curvature_zero.tsv' u 1:2 w l lw 1.5 lc rgb '#000000' title 'K_{JM} = 0', \
       (has_bundle ? 'geodesic.tsv' : '/dev/null') u 10:11 w l lw 5 lc rgb '#000000' title 'reference geodesic', \
       '+' u (0):(0) every ::0::0 w p pt 7 ps 1.5 lc rgb '#ffd700' title 'start'
} else {
  plot 'curvature_map.tsv' u 1:2:3 w image notitle, \
       'curvature_zero.tsv' u 1:2 w l lw 1.5 lc rgb '#000000' title 'K_{JM} = 0', \
       (has_bundle ? 'geodesic.tsv' : '/dev/null') u 2:3 w l lw 5 lc rgb '#000000' title 'reference geodesic', \
       '+' u (rad*cos((ph + 360.0*$0/nc)*pi/180)):(rad*sin((ph + 360.0*$0/nc)*pi/180)) every ::0::(nc-1) w p pt 7 ps 1.6 lc rgb '#ffd700' title 'centres c_j'
}
set size noratio
set autoscale x; set autoscale y
set xtics autofreq; set ytics autofreq
if (has_bundle) {
  set title "(B) separation of the bundle against the Jacobi equation J'' + K(s) J = 0"
  set logscale y
  set format y '%.1e'
  set xlabel 'JM arc length s'
  set ylabel 'separation'
  set key top left
  stats 'geodesic.tsv' u 1 nooutput
  nstep = STATS_records > 40 ? int(STATS_records / 40) : 1
  c_eta = s2 ? 7 : 6; c_J = c_eta + 1; c_w = c_eta + 2
  # the range of eta and J (the WKB reference diverges where K -> 0 and is clipped)
  stats 'geodesic.tsv' u (abs(column(c_eta))) nooutput
  ylo = STATS_min; yhi = STATS_max
  if (yhi / ylo < 20) {
    unset logscale y
    set format y '%.2e'
    set yrange [0:yhi*1.15]
  } else {
    set yrange [ylo/1.6:yhi*1.6]
  }
  plot 'geodesic.tsv' every nstep u 1:(abs(column(c_eta))) w p pt 6 ps 1.3 lc rgb '#1f4e99' title '|{/Symbol h}(s)| measured (neighbour geodesic)', \
       '' u 1:(abs(column(c_J))) w l lw 2 lc rgb '#d62728' title '|J(s)| Jacobi', \
       '' u 1:(abs(column(c_w))) w l dt 3 lw 2 lc rgb '#2ca02c' title 'WKB {/Symbol h}_0 (K_0/K)^{1/4} e^{{/Symbol \362}|K|^{1/2}}'
} else {
  set title '(B) no K < 0 segment: no bundle'
  unset key
  plot NaN notitle
}
unset multiplot
