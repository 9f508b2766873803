"""Clients: the people a clinic cares for, and who on staff may see them."""
