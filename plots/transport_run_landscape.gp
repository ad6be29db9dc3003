# plots/transport_run_landscape.gp -- the prefix (bipartite-Cheeger) landscape phi(t) against t/n
# along a run (transport_landscape.tsv: one block per snapshot), with the uniform causal closed
# form of spec transport_routing.md §1.4 and the 1/5 floor; J(t) beside it. Variables from
# bin/sim: fmt, name, n, mask, masked, nsnap, head.
# Columns: 1 t_cut, 2 x = t/n, 3 phi, 4 J, 5 phi_full, 6 J_full, 7 phi_unif.
w = 1300; h = 550
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'transport_landscape.' . fmt
lab = masked ? mask : 'no mask'
mid = int(nsnap / 2)
last = nsnap - 1
# the time of block i, from its '# t = ...' line
tb(i) = real(system(sprintf("awk '/^# t = /{if (k++ == %d) {print $4; exit}}' transport_landscape.tsv", i)))
t0 = tb(0); tm = tb(mid); tl = tb(last)
set multiplot layout 1,2 title sprintf("%s: bipartite-Cheeger landscape of head %d, n = %d, mask = %s  ([D]: the project's definitions)", name, head, n, mask)
set key bottom right box opaque font ',9'
set grid
set xlabel 'cut position t/n (S_t = first t particles)'
set xrange [0:1]

set title 'conductance of the prefix cuts {/Symbol f}(t)'
set ylabel '{/Symbol f}(t)'
set yrange [0:*]
set arrow 1 from 0.3178, graph 0 to 0.3178, graph 1 nohead dt 4 lc rgb 'gray40'
set label 1 'x^* = 0.318' at 0.325, graph 0.93 font ',9'
plot 'transport_landscape.tsv' index 0 u 2:7 w l lw 3 lc rgb 'gray60' title 'uniform causal closed form (§1.4)', \
     0.2 w l lw 2 dt 3 lc rgb 'black' title 'floor 1/5', \
     '' index 0 u 2:3 w l lw 2 lc rgb '#1f77b4' title sprintf('%s, t = %.3g', lab, t0), \
     '' index mid u 2:3 w l lw 2 lc rgb '#2ca02c' title (mid > 0 && mid < last ? sprintf('%s, t = %.3g', lab, tm) : ''), \
     '' index last u 2:3 w l lw 2 lc rgb '#d62728' title (last > 0 ? sprintf('%s, t = %.3g', lab, tl) : '')
unset arrow 1; unset label 1

set title 'signed per-cut flux J(t) [D] (+1: later particles read earlier ones)'
set ylabel 'J(t)'
set yrange [-1.1:1.1]
plot 'transport_landscape.tsv' index last u 2:4 w l lw 2 lc rgb '#d62728' title sprintf('%s, t = %.3g', lab, tl), \
     '' index last u 2:(masked ? $6 : NaN) w l lw 2 dt 2 lc rgb '#1f77b4' title (masked ? sprintf('full attention, t = %.3g', tl) : '')
unset multiplot
