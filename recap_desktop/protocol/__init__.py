"""Wire formats, the admission rule and the transparency log's proofs."""
