# plots/bench.gp -- kernel throughput of `make bench` (tests/bench/bench.sh): pairs per second of
# one right-hand side against n, one line per dimension d and thread count, with the roofline
# probe pair_limit.c (d = 3, the peer's fused loop built -ffast-math). Variables: datafile
# (output/bench/bench.tsv), outfile, fmt. Columns of bench.tsv: 1 workload, 2 n, 3 d, 4 threads,
# 5 path, 6 reps, 7 s_per_rhs, 8 pairs_per_s, 9 peak_rss_kb, 10 roofline_pairs_per_s, 11 ratio.
# The rows of one curve are not adjacent in the file: awk picks them out.
w = 1000; h = 600
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output outfile
set title "make bench: all-pairs kernel, one RHS (SA, {/Symbol b} = 1, Q = K = V = I)\nsolid: 2 threads, dashed: 1 thread; black: roofline probe pair\\_limit.c (d = 3)"
set logscale xy
set xlabel 'n (particles)'
set ylabel 'pairs (i, j) per second'
set format y '10^{%L}'
set grid
set key outside right top box
set xrange [180:24000]
rows(d, t) = sprintf("< awk -F'\t' '$1 == \"kernel\" && $3 == %d && $4 == %d' '%s'", d, t, datafile)
col(d) = d == 2 ? 1 : d == 3 ? 2 : d == 8 ? 3 : 4
plot for [d in "2 3 8 64"] rows(d + 0, 2) u 2:8 w lp lw 2 pt 7 lc col(d + 0) title sprintf('d = %s, 2 threads', d), \
     for [d in "2 3 8 64"] rows(d + 0, 1) u 2:8 w lp lw 1 dt 2 pt 6 lc col(d + 0) title sprintf('d = %s, 1 thread', d), \
     rows(3, 2) u 2:10 w lp lw 2 pt 5 lc rgb 'black' title 'roofline, 2 threads', \
     rows(3, 1) u 2:10 w lp lw 1 dt 2 pt 4 lc rgb 'black' title 'roofline, 1 thread'
