# plots/validate_cone.gp -- claim KY-T6.1 (Kuehn-Yoon's cone theorem, spec sphere_dynamics.md
# §12.5): R_k(t)/R_k(0) with R_k = max_i |<x_i,e_k>/<x_i,e_1>| (solid) below the bound
# exp(-delta (lambda_1 - |lambda_k|) t) (dashed, same colour), for the first three runs (d = 3).
# Working directory: OUTDIR/KY-T6.1 (cone.tsv: one block per run; t, then ratio and bound for
# k = 2, 3, 4). Variables from bin/sim: fmt, t0, t1, t2 (the runs' parameters).
w = 1500; h = 520
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'cone.' . fmt
if (!exists("t0")) t0 = 'run 1'
if (!exists("t1")) t1 = 'run 2'
if (!exists("t2")) t2 = 'run 3'
set multiplot layout 1,3 title "KY-T6.1: cone theorem R_k(t) {/Symbol \243} R_k(0) exp(-{/Symbol d}({/Symbol l}_1 - |{/Symbol l}_k|) t), SA, n = 20, cap data"
set logscale y
set format y '10^{%L}'
set grid
set key bottom left box opaque
set xlabel 't'
set ylabel 'R_k(t) / R_k(0)'
c2 = '#1f77b4'; c3 = '#d62728'
do for [b=0:2] {
  set title (b == 0 ? t0 : (b == 1 ? t1 : t2))
  plot 'cone.tsv' index b u 1:2 w l lw 2 lc rgb c2 title 'R_2', \
       '' index b u 1:3 w l lw 2 dt 2 lc rgb c2 title 'bound k = 2', \
       '' index b u 1:4 w l lw 2 lc rgb c3 title 'R_3', \
       '' index b u 1:5 w l lw 2 dt 2 lc rgb c3 title 'bound k = 3'
}
unset multiplot
