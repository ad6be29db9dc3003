# plots/analyze_gap.gp -- the four-panel verification of `bin/sim analyze gap` (spec
# spectral_gap.md §3 Fig. 1, §6): count vs theta with the gap shaded, preserved fraction vs
# ||dH||/Delta with the Weyl bound, K_JM vs E with the energy window, spreads S_k(t) against
# e^{z_+ t}. Run in the output folder. Variables from bin/sim: name, fmt, has_count, has_perturb,
# has_energy, has_spreads, count, lam_lo, lam_hi, sphere, Estar, Kylo, Kyhi, nm, anchor, well_posed.
npan = has_count + has_perturb + has_energy + has_spreads
if (!exists("well_posed")) { well_posed = 1 }
if (npan == 4) { w = 1300; h = 950; lay_r = 2; lay_c = 2 } else { w = 480*npan + 120; h = 520; lay_r = 1; lay_c = npan }
load sprintf('%s/terminal.gp', system('dirname ' . ARG0))
set output 'gap_verification.' . fmt
set multiplot layout lay_r, lay_c title sprintf("%s: dim E_{−} as a well-posed count (bin/sim analyze gap)", name) font ',13'
set grid
set key box opaque

if (has_count) {
  if (well_posed) {
    set title sprintf("S1: count #\\{{/Symbol l} < -{/Symbol q}\\} over the threshold, gap shaded (dim E_{−} = %d)", count)
  } else {
    set title sprintf("S1: NO GAP (relgap below the floor): the count is ill-posed (%d at {/Symbol q}_0)", count)
  }
  set logscale x
  set autoscale xfix
  set yrange [0:*]
  set offsets 0, 0, 1, 0
  set format x '10^{%L}'
  set xlabel '{/Symbol q}'
  set ylabel 'count'
  set object 1 rect from abs(lam_hi), graph 0 to abs(lam_lo), graph 1 fc rgb '#d8f0d8' fs solid 0.7 noborder behind
  set key default
  set key box opaque top right
  plot 'count_theta.tsv' u 1:2 w steps lw 2.5 lc rgb '#1f4e99' title '#\{{/Symbol l} < -{/Symbol q}\}', \
       count w l dt 2 lw 1.5 lc rgb '#d62728' title sprintf('dim E_{−} = %d', count), \
       NaN w boxes fs solid 0.7 lc rgb '#d8f0d8' title 'spectral gap (|{/Symbol l}_{hi}|, |{/Symbol l}_{lo}|)'
  unset object 1
  unset logscale x
  set autoscale x
  set autoscale y
  set offsets 0, 0, 0, 0
  set format x '% h'
}

if (has_perturb) {
  set title 'S2: count under GOE-type dH, and the subspace angle'
  set xlabel '||dH||_2 / {/Symbol D}'
  set ylabel 'fraction of trials with dim E_{−} preserved'
  set y2label 'max ||sin {/Symbol Q}||_2'
  set ytics nomirror
  set y2tics
  set yrange [-0.05:1.05]
  set y2range [0:1.05]
  set xrange [0:*]
  set object 2 rect from 0, graph 0 to 0.5, graph 1 fc rgb '#d8f0d8' fs solid 0.7 noborder behind
  set arrow 1 from 0.5, graph 0 to 0.5, graph 1 nohead dt 2 lw 2 lc rgb '#2ca02c'
  set key default
  set key below box font ',9' maxrows 3 width -2
  plot 'perturb.tsv' u 1:3 w lp lw 2.5 pt 7 lc rgb '#1f4e99' title 'preserved (GOE trials)', \
       '' u 1:8 w p pt 6 ps 1.4 lc rgb '#d62728' title 'adversarial shift kept', \
       '' u 1:4 axes x1y2 w lp lw 1.5 pt 5 ps 0.6 lc rgb '#9467bd' title 'max sin {/Symbol Q} (y2)', \
       '' u 1:($1 < 1 ? $1 : 1) axes x1y2 w l dt 3 lw 1.5 lc rgb '#9467bd' title '||dH||/{/Symbol D} (paper bound, y2)', \
       NaN w l dt 2 lw 2 lc rgb '#2ca02c' title 'Weyl bound ||dH|| = {/Symbol D}/2'
  unset object 2
  unset arrow 1
  unset y2tics
  unset y2label
  set ytics mirror
  set autoscale y
  set autoscale x
}

if (has_energy) {
  set title 'S3: Jacobi-Maupertuis curvature at one point (geometry B)'
  set xlabel 'energy E'
  set ylabel 'K_{JM}(E)'
  set yrange [Kylo:Kyhi]
  if (Estar > -1e299) {
    set object 3 rect from graph 0, graph 0 to first Estar, graph 1 fc rgb '#f6d5d5' fs solid 0.7 noborder behind
    set object 4 rect from first Estar, graph 0 to graph 1, graph 1 fc rgb '#d8f0d8' fs solid 0.7 noborder behind
    set arrow 3 from Estar, graph 0 to Estar, graph 1 nohead dt 2 lw 1.5 lc rgb '#444444'
  }
  set key default
  set key box opaque bottom right
  plot 'energy_window.tsv' u 1:3 w l lw 2.5 lc rgb '#1f4e99' title 'K_{JM} = {/Symbol D}F/h^2 + 2|{/Symbol \321}F|^2/h^3', \
       0 w l lc rgb '#444444' notitle, \
       NaN w boxes fs solid 0.7 lc rgb '#f6d5d5' title 'E < E*: focusing (K > 0)', \
       NaN w boxes fs solid 0.7 lc rgb '#d8f0d8' title sprintf('E > E* = %.4f: defocusing', Estar)
  unset object 3
  unset object 4
  unset arrow 3
  set autoscale y
}

if (has_spreads) {
  nplot = nm
  array zp[nplot]
  array S0[nplot]
  do for [k=1:nplot] {
    stats 'rates.tsv' every ::(k-1)::(k-1) u 3 nooutput
    zp[k] = STATS_max
    stats 'rates.tsv' every ::(k-1)::(k-1) u 10 nooutput
    S0[k] = STATS_max
  }
  set title sprintf('S4: spreads S_k(t) of the inertial flow, rates z_+({/Symbol g}, {/Symbol m}_k) from t_0 = %g', anchor)
  set logscale y
  set format y '10^{%L}'
  set yrange [5e-4:5]
  set xlabel 't'
  set ylabel 'S_k(t)'
  set key default
  set key box opaque top left font ',10'
  set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
  unset colorbox
  plot for [k=1:(count < nplot ? count : nplot)] 'spreads.tsv' u 1:(column(k+1)) w l lw 2.5 lc palette frac (k-1.0)/(count > 1 ? count - 1 : 1) title sprintf('mode %d', k), \
       for [k=1:(count < nplot ? count : nplot)] (x >= anchor ? S0[k]*exp(zp[k]*(x - anchor)) : NaN) w l dt (8,6) lw 1.2 lc rgb '#000000' title (k == 1 ? 'S_k(t_0) e^{z_+ (t - t_0)}' : ''), \
       for [k=(count+1):nplot] 'spreads.tsv' u 1:(column(k+1)) w l lw 1.5 lc rgb '#bbbbbb' title (k == count+1 ? (count+1 == nplot ? sprintf('mode %d', nplot) : sprintf('modes %d-%d', count+1, nplot)) : '')
  unset logscale y
  set format y '% h'
}
unset multiplot
