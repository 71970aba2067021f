"""Forms of Phase 6, by concern: training, handoff, adoption. They validate shape; services
save."""
