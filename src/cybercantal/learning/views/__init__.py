"""Views of the cartable électronique, one module per part (see ``learning.urls.PARTS``)."""
