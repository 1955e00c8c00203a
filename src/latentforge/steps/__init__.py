"""What a model tells the training engine, and nothing of the engine itself.

A model states its optimisation as :class:`~latentforge.steps.phases.Phase` s (parameters,
optimiser, loss of a batch, steps per cycle), may bring health monitors and callbacks
(:mod:`~latentforge.steps.hooks`, :mod:`~latentforge.steps.health`), and reads the run's
:class:`~latentforge.steps.train_config.TrainConfig`. The engine in ``latentforge.training``
runs whatever a model declares here; models never import the engine.
"""
