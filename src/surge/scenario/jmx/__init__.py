"""JMeter test plans (``surge run -f PLAN.jmx``): read the XML, resolve it, run it on sessions."""
