"""Quality evaluation: labelled data sets, metrics and baselines.

The harness runs Wiredesk's own pipeline on human-labelled news sets and compares it with
baselines computed in the same run. This package holds the pieces that do not depend on the
service:

* :mod:`service.evaluation.datasets`: loaders for the development sets under
  ``../shared/data`` (DUC 2003, MultiLing 2011, Giveme5W1H, MRPC, STS-B) and for the documented
  user JSONL format (``docs/EVAL_DATA_FORMAT.md``);
* :mod:`service.evaluation.metrics`: ROUGE, bootstrap confidence intervals, clustering metrics
  (BCubed, pairwise F1, adjusted Rand index), binary-decision metrics and Spearman's rho;
* :mod:`service.evaluation.baselines`: summarisation baselines (lead, centroid, LexRank,
  TextRank, random) and story-clustering baselines (TF-IDF / embedding agglomerative);
* :mod:`service.evaluation.tokenize`: the word counting and ROUGE tokenisation they share.

The modules need the ``eval`` extra (``rouge-score``, ``sumy``, ``scikit-learn``, ``nltk``).
Nothing here downloads data or model weights. This ``__init__`` imports none of them, so
importing the package stays cheap.
"""
