# The reference for the page's Norman-scale double benchmark (BENCHMARKS.md, issue 18): the work of the
# page's metrics step in R, and nothing more. Reads the three tables with read.csv, takes the 1,000 most
# expressed genes (by control expression), scores no change, additive and the two models by L2 and Pearson
# delta on 5 seeds x 62 test doubles, then classes the interactions and makes the TPR-vs-FDP curves at fixed
# +-0.2 thresholds with dplyr. Prints the time from the first read to the last curve.
#
# The test doubles of each seed are drawn with R's own generator (the page draws numpy's): the same amount
# of work, not the same doubles, so only the time is compared.
#
# Usage: Rscript scripts/bench-r-double.R pseudobulk.csv model_a.csv model_b.csv
suppressPackageStartupMessages(library(dplyr))

args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 3)
started <- Sys.time()

data <- read.csv(args[1], row.names = 1, check.names = FALSE)
models <- lapply(args[2:3], function(file) read.csv(file, row.names = 1, check.names = FALSE))
names(models) <- sub("\\.csv$", "", basename(args[2:3]))

read_done <- Sys.time()
control <- data[["ctrl"]]
genes <- order(control, decreasing = TRUE)[1:1000]
conditions <- colnames(data)
doubles <- conditions[grepl("+", conditions, fixed = TRUE) & !grepl("ctrl", conditions, fixed = TRUE)]
ctrl <- control[genes]

l2 <- function(p, o) sqrt(sum((p - o)^2))
pearson_delta <- function(p, o) if (sd(p - ctrl) == 0) NA_real_ else cor(p - ctrl, o - ctrl)

rows <- list()
pairs <- list()
for (seed in 1:5) {
  set.seed(seed)
  test <- sample(doubles, 62)
  for (double in test) {
    targets <- strsplit(double, "+", fixed = TRUE)[[1]]
    observed <- data[genes, double]
    additive <- data[genes, paste0(targets[1], "+ctrl")] + data[genes, paste0(targets[2], "+ctrl")] - ctrl
    predictions <- list(no_change = ctrl, additive = additive)
    for (model in names(models)) predictions[[model]] <- models[[model]][genes, double]
    for (method in names(predictions)) {
      p <- predictions[[method]]
      rows[[length(rows) + 1]] <- data.frame(seed = seed, method = method, perturbation = double,
                                             l2 = l2(p, observed), pearson_delta = pearson_delta(p, observed))
      if (method != "additive") {
        pairs[[length(pairs) + 1]] <- data.frame(seed = seed, method = method, perturbation = double,
                                                 gene = genes, observed = observed - additive,
                                                 predicted = p - additive, single_a = data[genes, paste0(targets[1], "+ctrl")] - ctrl,
                                                 single_b = data[genes, paste0(targets[2], "+ctrl")] - ctrl)
      }
    }
  }
}
metrics_done <- Sys.time()
results <- bind_rows(rows)
summary <- results %>% group_by(method) %>%
  summarise(mean_l2 = mean(l2), median_l2 = median(l2), mean_pearson_delta = mean(pearson_delta, na.rm = TRUE))

threshold <- 0.2
pairs <- bind_rows(pairs) %>%
  mutate(interaction = observed > threshold | observed < -threshold,
         class = case_when(!interaction ~ "additive",
                           sign(observed) == sign(single_a + single_b) ~ "synergy",
                           sign(observed) == -sign(single_a + single_b) ~ "buffering",
                           TRUE ~ "other"))
classes <- pairs %>% filter(method == "no_change") %>% count(class)
fdp_grid <- seq(0, 1, length.out = 101)
curves <- pairs %>%
  group_by(method, seed) %>%
  arrange(desc(abs(predicted)), .by_group = TRUE) %>%
  mutate(tp = cumsum(interaction), fp = cumsum(!interaction), fdp = fp / (tp + fp), tpr = tp / sum(interaction)) %>%
  arrange(fdp, .by_group = TRUE) %>%
  mutate(tpr = cummax(tpr)) %>%
  summarise(tpr = list(approx(fdp, tpr, xout = fdp_grid, ties = mean, yleft = 0, yright = 1)$y), .groups = "drop") %>%
  group_by(method) %>%
  summarise(tpr = list(Reduce(`+`, tpr) / length(tpr)), .groups = "drop")

elapsed <- as.numeric(difftime(Sys.time(), started, units = "secs"))
print(summary)
print(classes)
cat(sprintf("curves: %d methods x %d points\n", nrow(curves), length(curves$tpr[[1]])))
since <- function(a, b) as.numeric(difftime(b, a, units = "secs"))
cat(sprintf("R %s, dplyr %s: read, metrics, classes and curves in %.2f s (read %.2f, metrics %.2f, summary, classes and curves %.2f)\n",
            paste(R.version$major, R.version$minor, sep = "."), packageVersion("dplyr"), elapsed,
            since(started, read_done), since(read_done, metrics_done), since(metrics_done, Sys.time())))
