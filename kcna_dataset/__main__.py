from kcna_dataset.cli import app

app(prog_name="kcna-dataset")
