# plots/transport_run.gp -- transport diagnostics along a run (transport.tsv; spec
# transport_routing.md §1.3-1.5, §2.5). Variables from bin/sim: fmt, name, n, mask, masked (1 if
# the model has a mask: then the "full" columns are the unmasked attention of the same state),
# nsnap, head, d (routing erank <= d), phiu and Gu (phi and G of uniform causal attention of
# size n, the reference point of the (phi, G) plane).
# Columns: 1 t, 2 phi, 3 worst_cut, 4 lambda_2, 5 G, 6 nu, 7 mean_kl, 8 routing_erank,
# 9 phi_sweep, 10 cheeger_lower, 11 phi_full, 12 phi_sweep_full, 13 lambda_2_full, 14 G_full,
# 15 nu_full, 16 mean_kl_full, 17 routing_pr, 18 routing_rank.
w = 1500; h = 900
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'transport.' . fmt
lab = masked ? sprintf('%s attention', mask) : 'attention (no mask)'
set multiplot layout 2,3 title sprintf("%s: transport diagnostics of head %d, n = %d, mask = %s  ([D]: the project's definitions, spec transport_routing.md)", name, head, n, mask) noenhanced
set key top right box opaque font ',9'
set grid
set xlabel 't'
ca = '#d62728'; cf = '#1f77b4'

set title 'capacity: conductance {/Symbol f} [D]'
set ylabel '{/Symbol f}'
set yrange [0:1.1]
set key top right
plot 'transport.tsv' u 1:2 w lp pt 7 ps 0.5 lw 2 lc rgb ca title sprintf('{/Symbol f} prefix cuts, %s', lab), \
     '' u 1:10 w l lw 1 dt 2 lc rgb ca title '{/Symbol l}_2/2 (Cheeger lower bound)', \
     '' u 1:(masked ? $12 : NaN) w lp pt 5 ps 0.5 lw 2 lc rgb cf title (masked ? '{/Symbol f} Fiedler sweep, full attention' : ''), \
     '' u 1:(masked ? NaN : $9) w lp pt 5 ps 0.5 lw 2 lc rgb cf title (masked ? '' : '{/Symbol f} Fiedler sweep (unordered particles)'), \
     0.2 w l lw 2 dt 3 lc rgb 'black' title 'floor 1/5 (uniform causal)'
set autoscale y
set key top right

set title 'direction: asymmetry G = ||K_T||_F / ||S_T||_F [D]'
set ylabel 'G'
set yrange [0:1.05]
plot 'transport.tsv' u 1:5 w lp pt 7 ps 0.5 lw 2 lc rgb ca title lab, \
     '' u 1:(masked ? $14 : NaN) w lp pt 5 ps 0.5 lw 2 lc rgb cf title (masked ? 'full attention' : '')
set autoscale y

set title 'signed direction: net backward flow {/Symbol n} [D]'
set ylabel '{/Symbol n}'
set yrange [-1.05:1.05]
plot 'transport.tsv' u 1:6 w lp pt 7 ps 0.5 lw 2 lc rgb ca title lab, \
     '' u 1:(masked ? $15 : NaN) w lp pt 5 ps 0.5 lw 2 lc rgb cf title (masked ? 'full attention' : '')
set autoscale y

set title 'spectral gap {/Symbol l}_2 of L = I - S_T'
set ylabel '{/Symbol l}_2'
plot 'transport.tsv' u 1:4 w lp pt 7 ps 0.5 lw 2 lc rgb ca title lab, \
     '' u 1:(masked ? $13 : NaN) w lp pt 5 ps 0.5 lw 2 lc rgb cf title (masked ? 'full attention' : '')

set title 'concentration: mean KL(a_i || uniform on allowed keys); routing rank'
set ylabel 'mean KL'
set y2tics; set y2label 'erank of {/Symbol b} U R U^T  [D]'; set ytics nomirror
set y2range [0:d + 0.5]
plot 'transport.tsv' u 1:7 w lp pt 7 ps 0.5 lw 2 lc rgb ca title sprintf('KL, %s', lab), \
     '' u 1:(masked ? $16 : NaN) w lp pt 5 ps 0.5 lw 2 lc rgb cf title (masked ? 'KL, full attention' : ''), \
     '' u 1:8 axes x1y2 w l lw 2 dt 4 lc rgb '#2ca02c' title 'routing erank (right axis)'
unset y2tics; unset y2label; set ytics mirror

# The two-axis diagnostic: capacity against direction, one point per snapshot.
set title 'two-axis plane ({/Symbol f}, G): capacity vs direction'
set xlabel '{/Symbol f}'
set ylabel 'G'
set xrange [0:*]
set yrange [0:1.05]
set arrow 1 from 0.2, graph 0 to 0.2, graph 1 nohead dt 3 lw 2 lc rgb 'black'
set label 1 'floor 1/5' at 0.205, graph 0.05 font ',9'
set label 2 sprintf('uniform causal, n = %d', n) at phiu, Gu right point pt 3 ps 2 lw 2 offset -1,-1 font ',9'
# masked: prefix cuts in token order; no mask: the Fiedler sweep (no canonical order, spec §4)
plot 'transport.tsv' u (masked ? $2 : $9):5 w lp pt 7 ps 0.7 lw 1 lc rgb ca title sprintf(masked ? '%s (prefix {/Symbol f})' : '%s (sweep {/Symbol f})', lab), \
     '' u (masked ? $12 : NaN):14 w lp pt 5 ps 0.7 lw 1 lc rgb cf title (masked ? 'full (sweep {/Symbol f})' : '')
unset multiplot
