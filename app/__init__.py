"""Tandem: customer-service chat where an AI answers first and a human is always one step away."""
