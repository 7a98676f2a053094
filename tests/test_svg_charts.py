"""core.svg_charts: accessible inline SVG; counts on whole-number axes; text escaped."""
from core.svg_charts import Series, Threshold, grouped_columns, line_with_threshold, stacked_bars


def test_a_chart_is_an_img_named_by_its_title_and_desc_and_escapes_text():
    chart = stacked_bars("c1", title="<b>件数</b>", description="説明 & 補足", categories=["①-I"],
                         series=[Series("設定中", [3])])
    svg = str(chart.svg)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" role="img"')
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">&lt;b&gt;件数&lt;/b&gt;</title>' in svg and "説明 &amp; 補足" in svg
    assert chart.table == [["①-I", "3件"]]


def test_count_axes_have_whole_number_ticks_only():
    for top in (1, 2, 3, 5, 7, 23):
        svg = str(grouped_columns("c", title="t", description="d", categories=["1月"], series=[Series("設定", [top])]))
        ticks = [t.split(">")[1] for t in svg.split('text-anchor="end"')[1:]]
        assert ticks and all("." not in t.split("<")[0] for t in ticks), (top, ticks)


def test_the_threshold_is_drawn_and_a_value_over_it_is_a_square_not_only_a_colour():
    chart = line_with_threshold("c", title="t", description="d", categories=["1", "2", "3"],
                                series=[Series("最長", [1.0, None, 9.0])], threshold=Threshold(5, "期限（5分）"),
                                unit="分")
    svg = str(chart.svg)
    assert 'stroke-dasharray="6 4"' in svg and "期限（5分）" in svg
    assert svg.count("<circle") == 1 and svg.count('width="8" height="8"') == 1  # one point under, one square over
    assert chart.table == [["1", "1分"], ["2", "—"], ["3", "9分"]]
