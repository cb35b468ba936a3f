"""`python -m bench` (= `make bench`): every benchmark, results in bench/results/latest.*"""

from bench.run import main

main()
