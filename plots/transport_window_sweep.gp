# plots/transport_window_sweep.gp -- bin/sim transport window sweep: the conductance minimum of the
# sliding causal window of width w against w/n, with the formula ((w-1)/2)/(n - delta), its
# asymptote (w-1)/(2n) = O(w/n) and the 1/5 floor of uniform causal attention (spec
# transport_routing.md §1.4). Variables from bin/sim: fmt, name, n.
# window_sweep.tsv: 1 w, 2 w/n, 3 phi, 4 worst_cut, 5 formula, 6 valid, 7 asymptote, 8 pierces,
# 9 lambda_2, 10 G, 11 nu, 12 cheeger_lower.
w = 1000; h = 650
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'transport_window_sweep.' . fmt
set title sprintf("%s: sliding-window attention pierces the 1/5 floor as O(w/n) (n = %d)", name, n) noenhanced
set grid
set key top left box opaque
set xlabel 'window width / sequence length  w/n'
set ylabel 'min_t {/Symbol f}(t)  [D]'
set yrange [0:*]
set xrange [0:*]
plot 'window_sweep.tsv' u 2:7 w l lw 2 dt 2 lc rgb 'gray50' title '(w-1)/(2n)', \
     '' u 2:($6 > 0 ? $5 : NaN) w p pt 6 ps 2 lw 2 lc rgb '#1f77b4' title '((w-1)/2)/(n-{/Symbol d}) (in its range)', \
     '' u 2:3 w lp pt 7 ps 1 lw 2 lc rgb '#d62728' title 'matrix landscape minimum', \
     0.2 w l lw 2 dt 3 lc rgb 'black' title 'floor 1/5', \
     0.364311134201 w l lw 1 dt 4 lc rgb '#2ca02c' title 'uniform causal limit {/Symbol f}^* = 0.3643'
