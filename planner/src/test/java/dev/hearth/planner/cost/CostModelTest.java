package dev.hearth.planner.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hearth.planner.PlannerInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

class CostModelTest {
    static final Workload DOCS = new Workload("documents", 10_000, 2_000, 0);
    static final ApiPrice API = new ApiPrice("custom", 0.15, 0, "given on the command line", null);
    static final Throughput A100_TPUT = Throughput.of(500_000, Throughput.Kind.TYPED);

    static CostReport worked(LocalOption... opts) {
        return CostModel.evaluate(new CostScenario(DOCS, API, A100_TPUT, List.of(opts), Conventions.DEFAULT));
    }

    /** The worked scenario: 10,000 docs/day x 2,000 tokens, $0.15 per 1M, A100 at $3/h doing 500,000 tok/h. */
    @Test
    void workedScenarioPayPerHour() {
        var r = worked(new LocalOption.CloudPerHour("A100 80GB", 3.00));
        assertThat(r.monthlyTokens()).isEqualTo(600_000_000.0);
        assertThat(r.api().monthlyCost()).isCloseTo(90.00, within(1e-9));
        var l = r.local().getFirst();
        assertThat(l.deviceHoursPerMonth()).isCloseTo(1_200.0, within(1e-9));
        assertThat(l.monthlyCost()).isCloseTo(3_600.00, within(1e-9));
        // 1,200 hours is more than the 730 one GPU has in a month: two GPUs working in parallel.
        assertThat(l.exceedsOneDevice()).isTrue();
        assertThat(l.devices()).isEqualTo(2);
        assertThat(l.costPer1mTokens()).isCloseTo(6.00, within(1e-9));
        assertThat(l.breakEven().never()).isTrue();
        assertThat(l.breakEven().reason()).contains("$6.00 per 1M").contains("$0.15 per 1M").contains("at any volume");
        // Sensitivity: even 10x throughput costs $0.60 per 1M tokens, still above the API.
        assertThat(l.sensitivity()).extracting(CostReport.Sensitivity::throughputFactor).containsExactly(2.0, 10.0);
        assertThat(l.sensitivity().get(0).fullyUsedCostPer1mTokens()).isCloseTo(3.00, within(1e-9));
        assertThat(l.sensitivity().get(1).fullyUsedCostPer1mTokens()).isCloseTo(0.60, within(1e-9));
        assertThat(l.sensitivity()).allMatch(s -> s.breakEven().never());
    }

    /** The shortcut formula mixes units; the consistent comparison is cost per token, which never crosses. */
    @Test
    void shortcutFormulaIsMeaningless() {
        double gpuHourly = 3.00, tokensPerHour = 500_000, tokensPerDoc = 2_000, pricePerToken = 0.15 / 1e6;
        double shortcut = gpuHourly * tokensPerHour / (tokensPerDoc * pricePerToken);
        assertThat(shortcut).isCloseTo(5_000_000_000.0, within(1e-3));
        // The consistent figures: local $/token = 3 / 500,000 = $6e-6, API $1.5e-7: a 40x gap at every volume.
        double localPerToken = gpuHourly / tokensPerHour;
        assertThat(localPerToken / pricePerToken).isCloseTo(40.0, within(1e-9));
        var be = worked(new LocalOption.CloudPerHour("A100", 3.00)).local().getFirst().breakEven();
        assertThat(be.itemsPerDay()).isNull();
    }

    @Test
    void workedScenarioRented24x7() {
        var l = worked(new LocalOption.Cloud24x7("A100 24/7", 3.00)).local().getFirst();
        assertThat(l.devices()).isEqualTo(2);
        assertThat(l.monthlyCost()).isCloseTo(2 * 730 * 3.00, within(1e-9)); // $4,380
        assertThat(l.fullyUsedCostPer1mTokens()).isCloseTo(6.00, within(1e-9));
        assertThat(l.breakEven().never()).isTrue();
        assertThat(l.breakEven().reason()).contains("even fully used");
    }

    /** Owned RTX 4090-class box: $1,600 over 24 months, 450 W at $0.30/kWh, batched 1,000,000 tok/h. */
    @Test
    void ownedHardwareAmortisation() {
        var owned = new LocalOption.Owned("4090 box", 1_600, 24, 450, 0, 0.30, 1.0);
        var s = new CostScenario(DOCS, API, Throughput.of(1_000_000, Throughput.Kind.BATCHED), List.of(owned), Conventions.DEFAULT);
        var l = CostModel.evaluate(s).local().getFirst();
        // 600M tokens / 1M per hour = 600 busy hours: one device (730 h).
        assertThat(l.deviceHoursPerMonth()).isCloseTo(600, within(1e-9));
        assertThat(l.devices()).isEqualTo(1);
        // 1,600 / 24 = 66.67 a month; 600 h x 0.45 kW x $0.30 = $81.00 of electricity.
        assertThat(l.monthlyCost()).isCloseTo(1_600.0 / 24 + 81.0, within(1e-9));
        // Fully used: (66.67 + 730 x 0.135) / 730M tokens = $0.2263 per 1M, above $0.15: never.
        assertThat(l.fullyUsedCostPer1mTokens()).isCloseTo((1_600.0 / 24 + 730 * 0.135) / 730, within(1e-12));
        assertThat(l.breakEven().never()).isTrue();

        // Idle power is paid for the hours not busy: 600 h x 450 W + 130 h x 50 W = 276.5 kWh.
        var idle = new LocalOption.Owned("4090 box", 1_600, 24, 450, 50, 0.30, 1.0);
        assertThat(CostModel.monthlyCost(idle, Conventions.DEFAULT, 600)).isCloseTo(1_600.0 / 24 + 276.5 * 0.30, within(1e-9));
        // Utilisation 0.5 leaves 365 h per device: 600 h need two devices.
        var half = new LocalOption.Owned("4090 box", 1_600, 24, 450, 0, 0.30, 0.5);
        assertThat(CostModel.monthlyCost(half, Conventions.DEFAULT, 600)).isCloseTo(2 * 1_600.0 / 24 + 81.0, within(1e-9));
    }

    /** Against a dearer API ($2.50 per 1M) the same box breaks even: fixed / (API - energy) per document/day. */
    @Test
    void ownedHardwareBreaksEven() {
        var owned = new LocalOption.Owned("4090 box", 1_600, 24, 450, 0, 0.30, 1.0);
        var api = new ApiPrice("gpt-4o", 2.50, 10.00, "test", null);
        var s = new CostScenario(DOCS, api, Throughput.of(1_000_000, Throughput.Kind.BATCHED), List.of(owned), Conventions.DEFAULT);
        var be = CostModel.evaluate(s).local().getFirst().breakEven();
        // a = 30 x 2,000 x 2.5e-6 = $0.15; m = 30 x 0.002 h x $0.135 = $0.0081 per document/day a month.
        double expected = (1_600.0 / 24) / (0.15 - 0.0081);
        assertThat(be.itemsPerDay()).isCloseTo(expected, within(1e-9)); // 469.81 documents/day
        assertThat(be.verdict()).isEqualTo("from");
        // At that volume both cost the same.
        double api$ = CostModel.apiMonthly(api, DOCS, Conventions.DEFAULT, expected);
        double local$ = CostModel.localMonthly(owned, DOCS, s.throughput(), Conventions.DEFAULT, expected);
        assertThat(local$).isCloseTo(api$, within(1e-9));
    }

    @Test
    void cheapLocalIsCheaperAtAnyVolume() {
        var s = new CostScenario(DOCS, API, Throughput.of(10_000_000, Throughput.Kind.BATCHED),
                List.of(new LocalOption.CloudPerHour("cheap", 0.50)), Conventions.DEFAULT);
        var be = CostModel.evaluate(s).local().getFirst().breakEven();
        assertThat(be.verdict()).isEqualTo("any volume");
        assertThat(be.itemsPerDay()).isZero();
    }

    @Test
    void rented24x7BreakEvenWithinOneDevice() {
        // 16M tok/h batched on a $3/h GPU rented 24/7: $2,190/month buys 730 x 16M = 11.68B tokens,
        // $0.1875 per 1M fully used, above the API's $0.15: never.
        var s = new CostScenario(DOCS, API, Throughput.of(16_000_000, Throughput.Kind.BATCHED),
                List.of(new LocalOption.Cloud24x7("A100 24/7", 3.00)), Conventions.DEFAULT);
        var l = CostModel.evaluate(s).local().getFirst();
        assertThat(l.fullyUsedCostPer1mTokens()).isCloseTo(0.1875, within(1e-12));
        assertThat(l.breakEven().never()).isTrue();
        // 40M tok/h: capacity 730 x 40M / 2,000 / 30 = 486,667 documents/day; API $0.009 per document/day
        // a month, so from 2,190 / 0.009 = 243,333 documents/day one rented GPU is cheaper.
        var faster = new CostScenario(DOCS, API, Throughput.of(40_000_000, Throughput.Kind.BATCHED),
                List.of(new LocalOption.Cloud24x7("A100 24/7", 3.00)), Conventions.DEFAULT);
        assertThat(CostModel.evaluate(faster).local().getFirst().breakEven().itemsPerDay()).isCloseTo(2_190 / 0.009, within(1e-6));
    }

    @Test
    void separateInputAndOutputRates() {
        var w = new Workload("requests", 1_000, 500, 200);
        var t = new Throughput(1_800_000, 180_000, Throughput.Kind.SINGLE_STREAM, "bench");
        var api = new ApiPrice("gpt-4o-mini", 0.15, 0.60, "test", null);
        var r = CostModel.evaluate(new CostScenario(w, api, t, List.of(new LocalOption.CloudPerHour("x", 1.0)), Conventions.DEFAULT));
        assertThat(r.monthlyInputTokens()).isEqualTo(15_000_000.0);
        assertThat(r.monthlyOutputTokens()).isEqualTo(6_000_000.0);
        assertThat(r.api().monthlyCost()).isCloseTo(15 * 0.15 + 6 * 0.60, within(1e-9));
        // 500 / 1.8M + 200 / 180k hours per request, 30,000 requests a month.
        assertThat(r.local().getFirst().deviceHoursPerMonth()).isCloseTo(30_000 * (500 / 1.8e6 + 200 / 1.8e5), within(1e-9));
    }

    @Test
    void tokensPerDayWorkload() {
        var w = Workload.ofTokensPerDay(20_000_000, 0);
        var r = CostModel.evaluate(new CostScenario(w, API, A100_TPUT, List.of(new LocalOption.CloudPerHour("x", 3)), Conventions.DEFAULT));
        assertThat(r.monthlyTokens()).isEqualTo(600_000_000.0);
        assertThat(r.api().monthlyCost()).isCloseTo(90, within(1e-9));
        assertThat(r.unit()).isEqualTo("tokens");
    }

    @Test
    void badInputsAreClearErrors() {
        assertThatThrownBy(() -> new Workload("documents", -5, 2000, 0)).isInstanceOf(PlannerInputException.class)
                .hasMessageContaining("documents per day must be a positive number, got -5");
        assertThatThrownBy(() -> new Workload("documents", 0, 2000, 0)).hasMessageContaining("positive");
        assertThatThrownBy(() -> new Workload("documents", 10, 0, 0)).hasMessageContaining("both 0");
        assertThatThrownBy(() -> Throughput.of(0, null)).hasMessageContaining("tokens per hour");
        assertThatThrownBy(() -> new LocalOption.Owned("x", 1000, 0, 100, 0, 0.1, 1)).hasMessageContaining("amortisation months");
        assertThatThrownBy(() -> new LocalOption.Owned("x", 1000, 12, 100, 0, 0.1, 1.5)).hasMessageContaining("utilisation");
        assertThatThrownBy(() -> new ApiPrice("x", -1, 0, "", null)).hasMessageContaining("input tokens");
        assertThatThrownBy(() -> new CostScenario(DOCS, API, A100_TPUT, List.of(), null)).hasMessageContaining("no local option");
        var in = new CostInputs();
        in.itemsPerDay = 10_000.0;
        in.inputTokensPerItem = 2_000.0;
        in.tokensPerHour = 500_000.0;
        in.local.add(new LocalOption.CloudPerHour("x", 3));
        assertThatThrownBy(in::build).isInstanceOf(PlannerInputException.class).hasMessageContaining("missing API price for input tokens");
        in.apiInputPer1M = 0.15;
        in.outputTokensPerItem = 100.0;
        assertThatThrownBy(in::build).hasMessageContaining("missing API price for output tokens");
        in.apiModel = "no-such-model";
        assertThatThrownBy(in::build).hasMessageContaining("unknown API model 'no-such-model'").hasMessageContaining("gpt-4o-mini");
    }

    @Test
    void builtInPricesCarrySourceAndDate() {
        assertThat(ApiPrices.all()).isNotEmpty().allSatisfy(e -> {
            assertThat(e.source()).startsWith("https://");
            assertThat(e.asOf()).matches("\\d{4}-\\d{2}-\\d{2}");
            assertThat(e.inputPer1m()).isPositive();
        });
        var p = ApiPrices.byName("gpt-4o-mini");
        assertThat(p.inputPer1M()).isEqualTo(0.15);
        assertThat(p.name()).isEqualTo("openai/gpt-4o-mini");
        assertThat(ApiPrices.byName("OpenAI/GPT-4o-mini").outputPer1M()).isEqualTo(0.60);
    }
}
