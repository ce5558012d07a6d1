"""The review loop: a person checks the least certain texts of a corpus in a local web page, each decision
written as it is made; reviewed texts are gold for `to-docbin`; the same ranked texts go to and come back
from Label Studio, Prodigy and doccano."""
