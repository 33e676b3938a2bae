"""The likelihood lens in the editor: the heat map, its tooltips, legend and live scoring."""
