package dev.ljasync.bench;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * The bar chart of the comparisons' ratios, drawn headless: one bar each from 1x, on a logarithmic axis so that
 * 0.5x and 2x are as long (a tick at each power of two), coloured by goal met, missed, or none; the ratio and the goal are in the bar's label.
 */
final class RatioChart {

    private static final Color MET = new Color(0x2e7d32);
    private static final Color MISSED = new Color(0xc62828);
    private static final Color NO_GOAL = new Color(0x607d8b);
    private static final int WIDTH = 1200;

    private RatioChart() {}

    static void write(List<Report.Row> rows, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        List<Paint> paints = new ArrayList<>();
        for (Report.Row row : rows) {
            if (!row.complete()) {
                continue;
            }
            Comparison.Goal goal = row.goal();
            dataset.addValue(row.ratio(), "ratio", row.label() + ": " + Report.ratio(row.ratio())
                    + (goal == null ? "" : " (goal " + goal + ")"));
            paints.add(goal == null ? NO_GOAL : goal.metBy(row.ratio()) ? MET : MISSED);
        }

        BarRenderer renderer = new BarRenderer() {
            @Override
            public Paint getItemPaint(int series, int column) {
                return paints.get(column);
            }
        };
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setMaximumBarWidth(0.7);
        renderer.setBase(1.0);

        CategoryAxis categories = new CategoryAxis();
        categories.setMaximumCategoryLabelWidthRatio(0.6f);
        categories.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        LogAxis ratios = new LogAxis("case / baseline: time, or throughput where marked (log scale)");
        ratios.setBase(2);
        ratios.setTickUnit(new NumberTickUnit(1));
        ratios.setNumberFormatOverride(new DecimalFormat("0.###'x'"));
        ratios.setSmallestValue(1e-3);
        ratios.setLowerMargin(0.08);
        ratios.setUpperMargin(0.08);
        CategoryPlot plot = new CategoryPlot(dataset, categories, ratios, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.addRangeMarker(new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.5f,
                BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f)));
        LegendItemCollection legend = new LegendItemCollection();
        legend.add(new LegendItem("goal met", MET));
        legend.add(new LegendItem("goal missed", MISSED));
        legend.add(new LegendItem("no goal", NO_GOAL));
        plot.setFixedLegendItems(legend);

        JFreeChart chart = new JFreeChart("lj-async for Java: medians, case / baseline",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle("bars start at 1x (dashed): as fast as the baseline",
                new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        int height = 140 + 42 * Math.max(1, dataset.getColumnCount());
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, height);
    }
}
