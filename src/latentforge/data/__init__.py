"""Datasets: the built-in sample, standard sets, .npz files and image folders."""
