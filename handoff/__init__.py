"""Live-agent handoff: the ownership state machine, the queue, and live delivery."""
