# plots/transport_landscape.gp -- bin/sim transport: the bipartite-Cheeger landscape phi(t) of A
# and of A^T against t/n, with the closed form of the matrix's kind (spec transport_routing.md
# §1.4), the uniform causal closed form for reference and the 1/5 floor; the signed flux J(t);
# the complex spectra of T(A) and T(A^T). Variables from bin/sim: fmt, name, n, kind, mask,
# closed (1 if column 7 holds a closed form).
# transport_landscape.tsv: 1 t, 2 x = t/n, 3 phi_A, 4 J_A, 5 phi_AT, 6 J_AT, 7 phi_closed,
# 8 phi_unif.  transport_spectrum.tsv: 1 k, 2 lap_A, 3 lap_AT, 4 re_T_A, 5 im_T_A, 6 re_T_AT,
# 7 im_T_AT.
w = 1600; h = 560
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'transport_landscape.' . fmt
set multiplot layout 1,3 title sprintf("%s: transport diagnostics of A and A^T (kind %s, n = %d, mask %s; [D]: the project's definitions)", name, kind, n, mask) noenhanced
set grid
set key box opaque font ',9'
ps = (n <= 40 ? 1.0 : 0)

set title 'conductance of the prefix cuts {/Symbol f}(t) [D]'
set xlabel 'cut position t/n'
set ylabel '{/Symbol f}(t)'
set xrange [0:1]
set yrange [0:*]
set key bottom right
plot 'transport_landscape.tsv' u 2:8 w l lw 6 lc rgb '#dddddd' title 'uniform causal closed form (reference)', \
     '' u 2:(closed ? $7 : NaN) w l lw 6 lc rgb '#ffbb78' title (closed ? sprintf('closed form of %s (§1.4)', kind) : '') noenhanced, \
     0.2 w l lw 2 dt 3 lc rgb 'black' title 'floor 1/5', \
     '' u 2:3 w lp pt 7 ps ps lw 2 lc rgb '#d62728' title 'A', \
     '' u 2:5 w lp pt 6 ps 1.6*ps lw 2 dt 2 lc rgb '#1f77b4' title 'A^T (identical: orientation-blind)'

set title 'signed per-cut flux J(t) [D]: flips under transposition'
set ylabel 'J(t)'
set yrange [-1.1:1.1]
set key center right
plot 'transport_landscape.tsv' u 2:4 w lp pt 7 ps ps lw 2 lc rgb '#d62728' title 'A', \
     '' u 2:6 w lp pt 6 ps ps lw 2 lc rgb '#1f77b4' title 'A^T'

set title 'spectrum of T = D^{-1/2} A D^{-1/2} (complex plane)'
set xlabel 'Re {/Symbol l}'
set ylabel 'Im {/Symbol l}'
set autoscale x
set autoscale y
set key top left
plot 'transport_spectrum.tsv' u 4:5 w p pt 7 ps 1.2 lc rgb '#d62728' title 'T(A)', \
     '' u 6:7 w p pt 6 ps 2.0 lw 2 lc rgb '#1f77b4' title 'T(A^T) = T(A)^T'
unset multiplot
