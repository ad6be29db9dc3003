# plots/run_sphere.gp -- particles at the start and the end of a run (run folder as the working
# directory). Variables from bin/sim: d, n, name, beta, norm, fmt.
# d = 2: points on the circle; d = 3: points on S^2; d > 3: the projection on (x_1, x_2, x_3).
w = 1100; h = 520
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'sphere.' . fmt
set multiplot layout 1,2 title sprintf("%s: n = %d, d = %d, {/Symbol b} = %g, %s", name, n, d, beta, norm)
if (d == 2) {
  set size ratio -1
  set xrange [-1.15:1.15]; set yrange [-1.15:1.15]
  set xlabel 'x_1'; set ylabel 'x_2'
  set parametric; set trange [0:2*pi]
  set title 't = 0'
  plot cos(t), sin(t) w l lc rgb '#bbbbbb' notitle, \
       'state_initial.tsv' u 1:2 w p pt 7 ps 0.7 lc rgb '#1f77b4' title 'particles'
  set title 'final'
  plot cos(t), sin(t) w l lc rgb '#bbbbbb' notitle, \
       'state_final.tsv' u 1:2 w p pt 7 ps 1.0 lc rgb '#d62728' title 'particles'
} else {
  set view equal xyz; set xyplane at -1
  set view 65, 30
  set xrange [-1:1]; set yrange [-1:1]; set zrange [-1:1]
  set xlabel 'x_1'; set ylabel 'x_2'; set zlabel 'x_3'
  set xtics 1; set ytics 1; set ztics 1
  set parametric; set urange [0:2*pi]; set vrange [-pi/2:pi/2]; set isosamples 18,10
  lab = (d > 3) ? ' (projection on x_1, x_2, x_3)' : ''
  set title 't = 0' . lab
  splot cos(u)*cos(v), sin(u)*cos(v), sin(v) w l lc rgb '#dddddd' notitle, \
        'state_initial.tsv' u 1:2:3 w p pt 7 ps 0.6 lc rgb '#1f77b4' title 'particles'
  set title 'final' . lab
  splot cos(u)*cos(v), sin(u)*cos(v), sin(v) w l lc rgb '#dddddd' notitle, \
        'state_final.tsv' u 1:2:3 w p pt 7 ps 1.0 lc rgb '#d62728' title 'particles'
}
unset multiplot
