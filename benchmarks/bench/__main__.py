from .cli import benchmark_app

benchmark_app()
