"""The release: validated tables -> a versioned folder, and what reads one back.

publish (the folder, atomically), changes (the version and CHANGELOG), card and charts (the
dataset card), verify (checks a release), loading (`kcna_dataset.load`), sqlite (a searchable
database).
"""
