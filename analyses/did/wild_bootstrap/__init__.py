"""Wild cluster bootstrap-t tests and intervals (Cameron, Gelbach & Miller 2008; Roodman et al. 2019)."""

from analyses.did.wild_bootstrap.arrays import wild_bootstrap_arrays
from analyses.did.wild_bootstrap.result import WildBootstrapResult
from analyses.did.wild_bootstrap.twfe import wild_cluster_bootstrap

__all__ = ["WildBootstrapResult", "wild_bootstrap_arrays", "wild_cluster_bootstrap"]
