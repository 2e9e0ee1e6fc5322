"""Pages out: notebooks executed and exported, in warm workers or on Dask, incrementally, with the index."""
