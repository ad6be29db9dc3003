# plots/analyze_flow_inertial.gp -- the inertial interacting flow near equilibria (`bin/sim
# analyze inertial`, [ours]): for each state the growth |a_k(t)/a_k(0)| of every eigen-direction
# of the linearization (unstable ones coloured, the others grey) with the threshold `factor`, and
# a last panel with the counts: growing modes, dim E_- of Hess F, Morse index. Variables: name,
# fmt, ns, dim, labels, npos, ndim, nmorse, ngrow, factor.
np = ns + 1
nc = np <= 4 ? np : 3
nr = int((np + nc - 1) / nc)
w = 460*nc + 60; h = 400*nr + 60
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'flow_inertial.' . fmt
set multiplot layout nr, nc title sprintf("%s: inertial interacting flow x'' = P_x(drive) - {/Symbol g}x' - |x'|^2 x near equilibria", name) font ',13'
set grid
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#e8c000')
unset colorbox
do for [i=1:ns] {
  nu = int(real(word(npos, i)))
  set title sprintf('%s: %s grow, dim E_- %s, Morse %s', word(labels, i), word(ngrow, i), word(ndim, i), word(nmorse, i)) noenhanced
  set logscale y
  set format y '10^{%L}'
  set xlabel 't'
  set ylabel '|a_k(t) / a_k(0)|'
  set yrange [1e-4:1e5]
  set key top left box opaque font ',9'
  plot for [k=(nu+1):dim] 'flow_growth.tsv' index (i-1) u 1:(column(k+1)) w l lw 1 lc rgb '#bbbbbb' title (k == nu+1 ? 'stable / neutral modes' : ''), \
       for [k=1:nu] 'flow_growth.tsv' index (i-1) u 1:(column(k+1)) w l lw 2 lc palette frac (nu > 1 ? (k-1.0)/(nu-1) : 0) title (k == 1 ? 'modes with {/Symbol k} > 0' : ''), \
       factor w l dt 2 lc rgb '#d62728' title sprintf('factor %g', factor)
}
unset logscale y
set format y '% h'
set autoscale y
set yrange [0:*]
set offsets 0, 0, 1, 0
set title 'counts per state' enhanced
set xtics () noenhanced rotate by -30
do for [i=1:ns] { set xtics add (word(labels, i) i) }
set xrange [0.4:ns + 0.6]
set xlabel ''
set ylabel 'count'
set style fill solid 0.8 border -1
set boxwidth 0.25
set key top left
plot '+' u (column(0)+1 - 0.27):(real(word(ngrow, int(column(0))+1))) every ::0::(ns-1) w boxes lc rgb '#2ca02c' title 'growing (inertial run)', \
     '+' u (column(0)+1):(real(word(ndim, int(column(0))+1))) every ::0::(ns-1) w boxes lc rgb '#1f4e99' title 'dim E_{−}', \
     '+' u (column(0)+1 + 0.27):(real(word(nmorse, int(column(0))+1))) every ::0::(ns-1) w boxes lc rgb '#d62728' title 'Morse index'
unset multiplot
