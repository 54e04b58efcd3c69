"""`python -m trialfinder`: the same as the `trialfinder` command."""

from trialfinder.cli import main

# The guard matters: import workers are spawned processes that import this module again.
if __name__ == "__main__":
    main(prog_name="trialfinder")
