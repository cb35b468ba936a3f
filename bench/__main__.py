"""`python -m bench` (= `make bench`); `python -m bench --quick` for a shorter run."""

from bench.run import main

if __name__ == "__main__":
    main()
