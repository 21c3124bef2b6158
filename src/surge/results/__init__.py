"""Results files: JMeter JTL CSV (written by the engine, read by the report) and JMeter XML."""
