# plots/terminal.gp -- shared terminal set-up: `fmt` is png (pngcairo), pdf (pdfcairo) or svg;
# `w`, `h` the size in pixels (PDF: the same size at 100 px per inch). Loaded by the other scripts.
if (!exists("fmt")) fmt = 'png'
if (!exists("w")) w = 1000
if (!exists("h")) h = 500
if (fmt eq 'pdf') {
  set terminal pdfcairo enhanced color font 'DejaVu Sans,9' size (w/100.0),(h/100.0)
} else {
  if (fmt eq 'svg') {
    set terminal svg enhanced font 'DejaVu Sans,11' size w,h background rgb 'white'
  } else {
    set terminal pngcairo enhanced font 'DejaVu Sans,11' size w,h
  }
}
