"""ssl_keras: backend-agnostic Keras 3 building blocks for self-supervised learning."""

__version__ = "0.1.0"
