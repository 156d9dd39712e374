"""Training: the package's one loop (`loop.fit`), with looped streams (`looped`) as one of its
batch sources; the settings (`config`) and the optimizer (`optim`) need no torch.optim."""
