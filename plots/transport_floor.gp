# plots/transport_floor.gp -- claim P1-4: the minimum over cuts of the uniform causal landscape,
# min_t phi_unif(n, t), against n, above the 1/5 floor and tending to phi* = 1 - 2x* = 0.3643
# (spec transport_routing.md §1.4). Variables from bin/sim validate: fmt, nmax, id.
# floor.tsv: 1 n, 2 phi_min, 3 t_min / n.
w = 1100; h = 500
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'floor.' . fmt
set multiplot layout 1,2 title sprintf("%s: uniform causal attention stays above the 1/5 floor (n = 2..%d)", id, nmax) noenhanced
set grid
set logscale x
set xlabel 'n'
set key bottom right box opaque

set title 'min_t {/Symbol f}_{unif}(n, t)'
set ylabel 'min_t {/Symbol f}(t)'
set yrange [0.15:0.4]
set label 1 '5/17 at n = 3' at 3, 5.0/17 offset 1,-1 font ',9'
plot 'floor.tsv' u 1:2 w lp pt 7 ps 0.4 lw 1 lc rgb '#d62728' title 'closed form minimum', \
     0.364311134201 w l lw 2 dt 4 lc rgb '#2ca02c' title '{/Symbol f}^* = 1 - 2x^* = 0.3643', \
     0.2 w l lw 2 dt 3 lc rgb 'black' title 'floor 1/5'
unset label 1

set title 'worst cut position t^*/n'
set ylabel 't^*/n'
set yrange [0:0.6]
plot 'floor.tsv' u 1:3 w lp pt 7 ps 0.4 lw 1 lc rgb '#1f77b4' title 'argmin t / n', \
     0.317844432899 w l lw 2 dt 4 lc rgb '#2ca02c' title 'x^* = 0.3178: x(2 - ln x) = 1'
unset multiplot
