# plots/sweep_snapshots.gp -- a grid of final states (replica 0) across one sweep axis (bin/sim
# sweep). Runs in the sweep folder. Variables: fmt, out, title, d, npan, files[] (state files,
# n rows x d), tits[] (panel titles). d = 2: the circle; d >= 3: S^2 (projection on x_1, x_2, x_3).
cols = npan < 4 ? npan : 4
rows = int((npan + cols - 1) / cols)
w = 250 * cols + 40; h = 260 * rows + 70
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output out . '.' . fmt
set multiplot layout rows, cols title title . (d > 3 ? ' (projection on x_1, x_2, x_3)' : '')
unset key
if (d == 2) {
  set size ratio -1
  set xrange [-1.2:1.2]; set yrange [-1.2:1.2]
  unset xtics; unset ytics
  set border 0
  set parametric; set trange [0:2*pi]
  do for [i=1:npan] {
    set title tits[i] font ',10'
    plot cos(t), sin(t) w l lc rgb '#bbbbbb', files[i] u 1:2 w p pt 7 ps 0.8 lc rgb '#d62728'
  }
} else {
  set view equal xyz; set xyplane at -1
  set view 60, 30, 1.6
  set xrange [-1:1]; set yrange [-1:1]; set zrange [-1:1]
  unset xtics; unset ytics; unset ztics; unset border
  set parametric; set urange [0:2*pi]; set vrange [-pi/2:pi/2]; set isosamples 13,7
  do for [i=1:npan] {
    set title tits[i] font ',10'
    splot cos(u)*cos(v), sin(u)*cos(v), sin(v) w l lc rgb '#dddddd', files[i] u 1:2:3 w p pt 7 ps 0.7 lc rgb '#d62728'
  }
}
unset multiplot
