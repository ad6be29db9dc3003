# plots/analyze_flow_gap.gp -- the sphere version of `bin/sim analyze gap` ([ours]): (A) the
# spectrum of Hess F (F = -E_beta of the interacting flow) at each state, negative eigenvalues
# (unstable directions of the flow) in red; (B) dim E_- (gap finder, gap to the null space) against
# the Morse index of the linearization and #{kappa > 0}. Variables: name, fmt, ns, dim, labels,
# ndim, nmorse, npos.
w = 1350; h = 620
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'flow_gap.' . fmt
set multiplot layout 1, 2 title sprintf("%s: Hessian of F = -E_{/Symbol b} of the interacting flow at equilibria (n(d-1) = %d)", name, dim) font ',13'
set grid
set xtics () noenhanced rotate by -30
do for [i=1:ns] { set xtics add (word(labels, i) i) }
set xrange [0.4:ns + 0.6]
set title '(A) eigenvalues of Hess F (red: negative = unstable directions of the flow)'
set ylabel '{/Symbol l}(Hess F)'
set key box opaque top left
plot for [i=1:ns] 'flow_spectrum.tsv' index (i-1) u (i + 0.25*(rand(0) - 0.5)):($2 < 0 ? $2 : NaN) w p pt 7 ps 1.1 lc rgb '#d62728' title (i == 1 ? '{/Symbol l} < 0' : ''), \
     for [i=1:ns] 'flow_spectrum.tsv' index (i-1) u (i + 0.25*(rand(0) - 0.5)):($2 >= 0 ? $2 : NaN) w p pt 6 ps 1.1 lc rgb '#1f4e99' title (i == 1 ? '{/Symbol l} >= 0' : ''), \
     0 w l lc rgb '#444444' notitle
set title '(B) dim E_{−} against the Morse index of the flow'
set ylabel 'count'
set yrange [0:*]
set offsets 0, 0, 1, 0
set style fill solid 0.8 border -1
set boxwidth 0.25
plot '+' u (column(0)+1 - 0.27):(real(word(ndim, int(column(0))+1))) every ::0::(ns-1) w boxes lc rgb '#1f4e99' title 'dim E_{−} of Hess F (gap finder)', \
     '+' u (column(0)+1):(real(word(nmorse, int(column(0))+1))) every ::0::(ns-1) w boxes lc rgb '#d62728' title 'Morse index (kernel Jacobian)', \
     '+' u (column(0)+1 + 0.27):(real(word(npos, int(column(0))+1))) every ::0::(ns-1) w boxes lc rgb '#2ca02c' title '#{/Symbol k} > 0 of G^{-1}(-Hess F)'
unset multiplot
