# plots/validate_mixed.gp -- claim SD-13 (three-group mixed equilibria, spec sphere_dynamics.md
# §13): the existence function of (a, b, beta, m, k) = (-0.4, -4, 0.03, 1, 1) over q in (-1, 1)
# and its roots (the equilibria m u, k (q u +- sqrt(1-q^2) v)).
# Working directory: OUTDIR/SD-13 (existence.tsv: index 0 q, f(q); index 1 the roots).
w = 900; h = 560
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'existence.' . fmt
set title "SD-13: existence equation of the three-group equilibria, (a, b, {/Symbol b}, m, k) = (-0.4, -4, 0.03, 1, 1)"
set grid
set key top right box opaque
set xlabel 'q = <x, u> of the two side groups'
set ylabel 'f(q)'
set xrange [-1:1]
plot 'existence.tsv' index 0 u 1:2 w l lw 2 lc rgb '#1f77b4' title 'f(q) = q[(a-b)e^{{/Symbol b}(b+(a-b)q^2)} + (a+b)e^{{/Symbol b}(-b+(a+b)q^2)}] + a (m/k) e^{{/Symbol b}aq}', \
     0 w l lw 1 lc rgb 'black' notitle, \
     '' index 1 u 1:2 w p pt 7 ps 1.6 lc rgb '#d62728' title 'roots (Brent, GSL)', \
     '' index 1 u 1:2:(sprintf('q = %.10f', $1)) w labels left offset 1,1 notitle
