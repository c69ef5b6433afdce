"""The Northwind analytics API: what the EC2 tier serves behind the load balancer."""

__version__ = "0.3.2"
