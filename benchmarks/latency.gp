# Plots docs/benchmarks-latency.png from benchmarks/results/*.dat (written by run-all.sh plot).
set terminal pngcairo size 1100,450 font "DejaVu Sans,10"
set output "docs/benchmarks-latency.png"
set termoption noenhanced
set multiplot layout 1,2
set logscale x 2
set xtics (1, 4, 16, 64)
set xrange [0.8:80]
set key top left
set grid
set title "Get CIM_SoftwareIdentity, Digest, keep-alive: latency vs concurrent clients"
set xlabel "concurrent keep-alive clients"
set ylabel "latency (ms)"
plot "benchmarks/results/concurrency-vamt.dat" using 2:4 with linespoints title "vAMT p50", \
     "benchmarks/results/concurrency-vamt.dat" using 2:5 with linespoints title "vAMT p99", \
     "benchmarks/results/concurrency-floor.dat" using 2:4 with linespoints dt 2 title "floor p50", \
     "benchmarks/results/concurrency-floor.dat" using 2:5 with linespoints dt 2 title "floor p99"
set logscale x 10
set xtics (4, 10, 100, 1000)
set xrange [3:1500]
set title "Get latency (1 client) on the first and the last VM vs VM count"
set xlabel "VMs on the test driver"
plot "< grep first benchmarks/results/scale.dat" using 1:3 with linespoints title "first VM p50", \
     "< grep first benchmarks/results/scale.dat" using 1:4 with linespoints title "first VM p99", \
     "< grep last benchmarks/results/scale.dat" using 1:3 with linespoints dt 2 title "last VM p50", \
     "< grep last benchmarks/results/scale.dat" using 1:4 with linespoints dt 2 title "last VM p99"
unset multiplot
