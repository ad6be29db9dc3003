# plots/validate_perturb.gp -- claim KY-LOCAL (local criteria by simulation, spec
# sphere_dynamics.md §4.4, §12.4): each pure mode of the stability table moved by 1e-4; distance
# max_i |x_i(t) - x*_i| relative to its initial value, against t |max eig| (the closed-form rate of
# the slowest stable / fastest unstable direction). Stable modes (blue) return at least like
# e^{-s}; unstable ones (red) leave like e^{+s} until the nonlinearity takes over.
# Working directory: OUTDIR/KY-LOCAL (perturb.tsv: block, verdict 0/2, t, s = t |max eig|, ratio).
w = 1000; h = 650
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'perturb.' . fmt
set title "KY-LOCAL: pure modes (n = 6; 3 spectra x 2 {/Symbol b}, SA) perturbed by 10^{-4}"
set logscale y
set format y '10^{%L}'
set grid
set key top left box opaque
set xlabel 's = t |max eig|  (closed-form rate of the pure mode)'
set ylabel 'max_i |x_i(t) - x*_i|  /  its value at t = 0'
set xrange [0:14]
set yrange [1e-6:1e5]
plot 'perturb.tsv' u 4:5:($2 == 0 ? 0x1f77b4 : 0xd62728) w l lw 1.2 lc rgb variable notitle, \
     NaN w l lw 2 lc rgb '#1f77b4' title 'stable by the table: returns', \
     NaN w l lw 2 lc rgb '#d62728' title 'unstable by the table: leaves', \
     exp(-x) w l lw 2 dt 2 lc rgb 'black' title 'e^{-s}', \
     exp(x) w l lw 2 dt 3 lc rgb 'black' title 'e^{+s}'
