from kcna_dataset.cli import run

run()
