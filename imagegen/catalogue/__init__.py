"""What the relay sells and how it is offered: the model catalogue, the models listed, prices, styles."""
